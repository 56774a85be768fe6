"""Following cases to the end: step events in; commitments kept, at risk or overdue out.

The stages, one module each (docs/tracking.md; docs/architecture.md):

* :mod:`.model`: a case (a decided decision with its plan) and an event, read from JSON;
* :mod:`.clock`: the pause reasons the clock rules accept, and time counted with pauses left
  out on the working-day calendar;
* :mod:`.timeline`: a case's events in time order, and the checks an event must pass;
* :mod:`.status`: the status at a moment: steps, commitments, whom to chase and why;
* :mod:`.store`: the database (SQLite or PostgreSQL through SQLAlchemy Core), its schema and
  migrations;
* :mod:`.tracker`: the library API (:class:`~bizroute.tracking.tracker.Tracker`, exported as
  ``bizroute.Tracker``);
* :mod:`.render`, :mod:`.stats`, :mod:`.cli`: output formats, the manager's tables, and
  ``bizroute track``.
"""
