"""Code the three services share: contracts, config, broker and database set-up."""
