"""The domain: tokens, settings, users, features and authentication. No HTTP here."""
