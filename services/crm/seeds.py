"""Reference-book rows every installation starts with."""

# The initial migration inserts these; tests reset the reference book to them.
DEFAULT_STATUSES = (
    {"name": "Hot", "sort_order": 10, "generate_calls": True, "call_interval_days": 3},
    {"name": "Warm", "sort_order": 20, "generate_calls": True, "call_interval_days": 14},
    {"name": "Cold", "sort_order": 30, "generate_calls": True, "call_interval_days": 60},
    {"name": "Hopeless", "sort_order": 40, "generate_calls": False, "call_interval_days": 0},
)
# The default status a refusal moves a customer to (its is_refusal flag is set).
REFUSAL_STATUS = "Cold"

# The relationship strategy of each ABC class (document 000); admins give each its status.
DEFAULT_STRATEGIES = (
    {
        "abc_class": "A",
        "title": "Key customers",
        "description": "The largest revenue: a personal manager, frequent contact, visits.",
    },
    {
        "abc_class": "B",
        "title": "Regular customers",
        "description": "Steady revenue: regular calls, offers to grow their orders.",
    },
    {
        "abc_class": "C",
        "title": "Small customers",
        "description": "Small revenue: rare calls, mailings and standard terms.",
    },
)
