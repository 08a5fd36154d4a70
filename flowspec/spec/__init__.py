"""Job files: loading YAML with source marks, the model, schema and semantic checks."""
