"""Memorable names for runs started without one, in MLflow's style (``bright-owl-417``)."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "able", "bold", "brave", "bright", "calm", "clever", "crisp", "dapper", "eager", "fair", "gentle",
    "glad", "golden", "grand", "honest", "jolly", "keen", "kind", "lively", "lucky", "merry", "mighty",
    "nimble", "noble", "polite", "proud", "quick", "quiet", "rare", "rustic", "sharp", "shiny", "silent",
    "sleek", "smart", "sunny", "swift", "tidy", "vast", "warm", "wise", "witty", "zesty",
)
_NOUNS = (
    "ant", "bat", "bear", "bee", "bird", "carp", "cat", "cod", "crab", "crow", "deer", "dog", "dove",
    "duck", "eel", "elk", "finch", "fox", "frog", "goat", "hare", "hawk", "hen", "ibis", "jay", "lark",
    "lion", "lynx", "mole", "moth", "newt", "owl", "panda", "pike", "ram", "seal", "shrew", "slug",
    "snail", "stork", "swan", "toad", "trout", "wasp", "whale", "wolf", "wren", "yak",
)


def generate_run_name() -> str:
    """``adjective-noun-NNN``: about 800,000 names, enough to tell a day's runs apart at a glance."""
    rng = random.SystemRandom()
    return f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{rng.randrange(1000)}"
