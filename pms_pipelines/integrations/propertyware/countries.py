"""Country spellings seen in Propertyware addresses → ISO-3166 alpha-2.

Propertyware's `Address.country` is free text (no enum in the spec); accounts are US
based, so the table covers the US spellings and the neighbours and territories US
property managers meet. Keys are upper-cased with dots and extra spaces removed.
"""

COUNTRY_TO_ISO: dict[str, str] = {
    "US": "US", "USA": "US", "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US",
    "AMERICA": "US", "CA": "CA", "CAN": "CA", "CANADA": "CA", "MX": "MX", "MEX": "MX",
    "MEXICO": "MX", "PR": "PR", "PUERTO RICO": "PR", "GU": "GU", "GUAM": "GU",
    "VI": "VI", "US VIRGIN ISLANDS": "VI", "VIRGIN ISLANDS": "VI", "GB": "GB", "UK": "GB",
    "UNITED KINGDOM": "GB", "AU": "AU", "AUSTRALIA": "AU",
}


def country_key(value: str) -> str:
    return " ".join(value.replace(".", "").upper().split())
