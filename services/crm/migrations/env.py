import services.crm.adapters.calendar
import services.crm.adapters.sales
import services.crm.adapters.telephony
import services.crm.adapters.work  # noqa: F401 (registers its tables on Base)
from services.crm.adapters.orm import Base
from shared.migrations import run_env

run_env(Base.metadata)
