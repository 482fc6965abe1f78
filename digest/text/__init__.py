"""Text facts of an article: cleaning, sentences and words, language, word rarity."""
