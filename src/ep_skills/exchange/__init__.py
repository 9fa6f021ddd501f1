"""Evidence and referentials in the formats other tools speak."""
