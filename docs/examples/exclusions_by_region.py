# Pupils placed after a permanent exclusion or suspension, by region and sex.
# A .py query runs on your own machine only; what is sent is the query model it builds.
query = (
    dataset("ap_census_2018")
    .where(item("placement_reason").isin(["PEX", "SUS"]))
    .by("region", "sex")
    .count()
)
