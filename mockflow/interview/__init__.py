"""The interview state machine, its moves, session records and prompting. No livekit."""
