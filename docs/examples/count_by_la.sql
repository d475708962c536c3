SELECT la, sen_provision, COUNT(*)
FROM ap_census_2018
GROUP BY la, sen_provision
