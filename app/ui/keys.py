"""Widget and query-parameter keys, in one place."""

FRAME = "frame"  # query parameter and selectbox key on the frame page
DATE_RANGE = "date_range"
OUTLETS = "outlets"
OVERVIEW_TABLE = "overview_table"

GROUPS = "outlet_groups"
OUTLET = "outlet"  # query parameter and selectbox key on the outlets page
EVIDENCE_ALL = "evidence_all"
