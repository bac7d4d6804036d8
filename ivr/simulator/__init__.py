"""Testers' simulated caller: scenarios, replays, a sandbox server and a local stand-in of Twilio's API."""
