"""Analysis as pure functions and fitted models: language, lead markets, embeddings, topics, emergence.

No network, no database: inputs are texts, arrays and series; outputs are values the pipeline stores.
"""
