"""Operations of the whole system: the ``crm-ops`` command and what it drives."""
