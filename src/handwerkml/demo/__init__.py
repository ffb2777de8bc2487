"""Demo data: two plausible craft businesses with users, materials and past projects.

`generator` builds the data in memory from a seed (no database); `loader` writes it.
"""
