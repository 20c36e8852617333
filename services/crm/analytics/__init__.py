"""Sales analytics: reports over a read model kept in the writing transaction.

How the figures stay fresh and cheap (the choice the issue asks to explain):

- Every fact a report counts (a call task planned, made or escalated, a first contact
  taken up, a refusal, an order reaching execution) adds to small aggregate tables
  (``adapters/tables.py``) in the same transaction as the fact itself
  (``handlers/recorder.py``). A report sums a few thousand aggregate rows instead of
  scanning millions of tasks, interactions and order lines. A customer's months are kept
  per process kind and over every kind, so a report reads one row per customer and month.
- Not materialized views refreshed by a routine: a refresh re-reads the whole history
  (10M interactions, 1M orders) and the scheduler's routines run by the minute, so the
  figures would lag by a minute or more, and each refresh costs the full scan again. The
  issue allows 5 seconds.
- Not the worker consuming the CRM's own events: most facts (task completion, process
  steps, orders) publish no event yet, and a consumer adds the relay's and the broker's
  lag. In the writing transaction an aggregate changes exactly when, and only if, its fact
  commits: no lag, no double count on redelivery, nothing to replay.
- The cost is one upsert per fact on a row keyed by manager and day (or customer and
  month); concurrent writers of one key wait for each other only for that row.
- The buyers' reports (ABC/XYZ, loyalty, RFM) over a whole company and a whole year would
  still add up every buyer's months; for the spans they are asked for most (the last three
  and twelve months) each buyer's sums are kept too, shifted by the
  ``shift_customer_spans`` routine when a month begins (``handlers/spans.py``). Ranking all
  of a span's buyers (classes, scores) is what remains of such a report, and no order moves
  one buyer's rank alone: ``crm-relay`` brings the ranks up to each order within about a
  second, setting again only the classes and scores a moved bound reaches
  (``handlers/ranks.py``), and a report reads those ranks while no order they miss is older
  than four seconds, else ranks the buyers itself.
- ``adapters/rebuild.py`` recomputes the whole read model from the history: the backfill
  after upgrading, and the check that recorder and history agree (tests/integration).

Deals (``handlers/deal_recorder.py``, called by every stage change in deal_moves._enter):
the funnel and the managers' deal columns read analytics_deal_days and
analytics_deal_stage_days, keyed by the day the deal was opened (a cohort: a deal counts in
the period it was opened, through to its end); the bottlenecks read analytics_deal_stays,
stays in 10 % length bands per month, so medians and 90th percentiles need no scan of the
stage history. What stands open now follows each deal's moves, closing, change of hands,
amount and expected month: analytics_open_deal_days (the open deals by stage, manager and day
entered: the deals stalled now, handlers/bottlenecks.py) and analytics_open_pipeline (by
kind, manager and expected close month with amounts and weights: the funnel's pipeline and
forecast). Win probability (``domain/win_model.py``) is fitted by the scheduler's
``refit_win_probability`` routine, which rebuilds the pipeline with the chances it gives. A
deal's figures stay with the manager responsible at each change: the stage history records
them, and ``analytics-rebuild`` counts each move for its manager, as the recorder did.

Deal-based reports plug in through the registries here: ``domain/kinds.register`` (their
process kinds), ``handlers/managers.register_source`` (deal columns of the managers'
report), ``handlers/recorder.lost`` (lost deals join the lost analysis, with stage,
competitor and amount), ``handlers/claims.register_basis`` (claims about deals),
``handlers/dossier.register_section`` (deals in the dossier), ``handlers/lost.
register_names`` (competitors' names) and ``api/reports.route`` (funnel, win probability,
bottlenecks: each a handler over its own aggregates, with CSV and an optional SVG chart;
``bench/analytics.py`` times every route against its raw query).
"""
