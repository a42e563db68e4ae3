"""The Pokémon TCG Pocket card pool: the data step behind `specc cards` (see docs/tcg.md).

* `cards`: cards.json (through `specc scrape`'s JSON reader) to Card facts; corrections.csv applied.
* `effects`, `mechanics`: our encoding of every attack effect, ability and Trainer as mechanics.
* `decks`: decks.csv rows to named decks; `check_deck`, the validity check.
* `build`: the committed tables of data/ptcgp; `pool`: reading them back.
"""
