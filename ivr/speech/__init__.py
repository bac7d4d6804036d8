"""What is said: the prompt catalog and the values prompts speak, per language."""
