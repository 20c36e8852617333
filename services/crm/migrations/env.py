# Imported for their tables, which register themselves on Base.
import services.crm.adapters.calendar
import services.crm.adapters.deals
import services.crm.adapters.sales
import services.crm.adapters.telephony
import services.crm.adapters.work
import services.crm.analytics.adapters.records
import services.crm.analytics.adapters.tables  # noqa: F401
from services.crm.adapters.orm import Base
from shared.migrations import run_env

run_env(Base.metadata)
