from setuptools import find_packages, setup

setup(
    name="pms_pipelines",
    packages=find_packages(exclude=["pms_pipelines_tests*"]),
    package_data={
        "pms_pipelines": [
            "canonical/schema/*.json",
            "db/migrations/*.sql",
            "integrations/*/fixtures/*.json",
        ]
    },
    python_requires=">=3.11",
)
