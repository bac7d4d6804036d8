"""Credentials by SMS: the outbox, its sender, and how many segments a text takes."""
