"""The library's SQLite storage (through sqlite-utils): every read and write of its tables.

One module per domain: ``connection`` (opening, transactions, meta), ``schema`` (the tables and
their migrations), ``articles`` (articles and passages), ``memory`` (what an ingest need not read
or fetch again) and ``vocabulary`` (term ids). Terms are stored as int32 term ids in BLOBs, so
that rebuilding the index reads arrays instead of analysing or splitting text again.

An ingest never deletes rows that the serving index may still point at: replaced passages and
removed articles are marked ``retired`` in the ingest's transaction, and purged once the new index
is serving. Everything but the index's passage look-up ignores retired rows.
"""
