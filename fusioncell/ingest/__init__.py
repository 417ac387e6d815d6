"""fusioncell.ingest"""
