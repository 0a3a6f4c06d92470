"""Buildium's `Country` enum (country names without spaces) → ISO-3166 alpha-2.

Buildium is used mostly in North America, so the table covers the countries its
customers' addresses realistically carry; a name not listed maps to None, and the
mapping keeps the name in `Address.country_raw` (no country beats a wrong one).
"""

from __future__ import annotations

BUILDIUM_COUNTRY_TO_ISO: dict[str, str] = {
    "UnitedStates": "US", "Canada": "CA", "Mexico": "MX", "PuertoRico": "PR",
    "VirginIslands": "VI", "Guam": "GU", "AmericanSamoa": "AS",
    "NorthernMarianaIslands": "MP", "Bahamas": "BS", "Bermuda": "BM", "Jamaica": "JM",
    "DominicanRepublic": "DO", "Barbados": "BB", "CaymanIslands": "KY",
    "TrinidadandTobago": "TT", "CostaRica": "CR", "Panama": "PA", "Guatemala": "GT",
    "Honduras": "HN", "ElSalvador": "SV", "Nicaragua": "NI", "Belize": "BZ",
    "UnitedKingdom": "GB", "Ireland": "IE", "France": "FR", "Germany": "DE", "Spain": "ES",
    "Portugal": "PT", "Italy": "IT", "Netherlands": "NL", "Belgium": "BE",
    "Luxembourg": "LU", "Switzerland": "CH", "Austria": "AT", "Denmark": "DK",
    "Sweden": "SE", "Norway": "NO", "Finland": "FI", "Iceland": "IS", "Poland": "PL",
    "CzechRepublic": "CZ", "Slovakia": "SK", "Hungary": "HU", "Greece": "GR",
    "Romania": "RO", "Bulgaria": "BG", "Croatia": "HR", "Slovenia": "SI", "Malta": "MT",
    "Cyprus": "CY", "Estonia": "EE", "Latvia": "LV", "Lithuania": "LT", "Ukraine": "UA",
    "Turkey": "TR", "Israel": "IL", "UnitedArabEmirates": "AE", "SaudiArabia": "SA",
    "Qatar": "QA", "India": "IN", "Pakistan": "PK", "China": "CN", "HongKong": "HK",
    "Taiwan": "TW", "Japan": "JP", "SouthKorea": "KR", "Singapore": "SG",
    "Malaysia": "MY", "Thailand": "TH", "Vietnam": "VN", "Philippines": "PH",
    "Indonesia": "ID", "Australia": "AU", "NewZealand": "NZ", "SouthAfrica": "ZA",
    "Nigeria": "NG", "Kenya": "KE", "Egypt": "EG", "Morocco": "MA", "Brazil": "BR",
    "Argentina": "AR", "Chile": "CL", "Colombia": "CO", "Peru": "PE", "Venezuela": "VE",
    "Ecuador": "EC", "Uruguay": "UY", "Paraguay": "PY", "Bolivia": "BO",
}
