"""Web entry points: the voice and SMS webhooks, the agents' API and console, audio and health."""
