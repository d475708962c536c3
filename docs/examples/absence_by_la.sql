SELECT la, fsm, COUNT(*), AVG(sessions_absent)
FROM school_census_2018
GROUP BY la, fsm
