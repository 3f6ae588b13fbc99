"""The sample Django project whose blog app carries the optimization guide's models."""
