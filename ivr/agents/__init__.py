"""Call-centre agents: accounts, console sessions, what they may read of a call, and transfers."""
