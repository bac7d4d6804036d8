"""The registration domain: people, mobiles, registration numbers, categories, lockouts, credentials, import."""
