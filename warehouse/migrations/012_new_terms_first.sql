-- Emerging terms list new terms first (issue 10, emerging terms): among technologies (or among everything), a term
-- born inside the recent window after enough history without it (`is_new`, Porter–Carley novelty) comes before an
-- established term whose share is rising, then by score. Novelty is the first attribute of an emerging technology
-- (Rotolo, Hicks and Martin 2015); a rising old term ("neural network" in 2016) is not a new signal. Why, with the
-- backtest that measured it: docs/emergence.md, "Which terms are listed first".
create or replace view v_emerging_terms as
select t.* from term_signals t
join v_latest_signal_runs l using (granularity, run_id)
order by t.granularity, t.is_technology desc, t.is_new desc, t.score desc nulls last, t.term;
