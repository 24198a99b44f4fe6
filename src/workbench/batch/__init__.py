"""Batch work over archives on an engine that spreads over machines (Ray Data).

``embed.embed_posts``: the posts table's texts through an embedding model, one actor per
model replica, ``map_batches`` over the table's blocks; locally (``ray.init`` here) or on
a cluster (``RAY_ADDRESS`` / ``--address``) with the same code.
"""
