"""The materials catalog: materials, categories and each material's price history."""
