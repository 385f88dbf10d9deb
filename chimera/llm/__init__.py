"""The LLM service: providers (offline local, remote chat-completions) behind one interface."""
