"""Finding past projects like a new one: project vectors and the similarity API."""
