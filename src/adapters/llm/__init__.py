"""Language models: the OpenAI and Anthropic SDKs, the offline assistant, the provider chain."""

__all__: list[str] = []
