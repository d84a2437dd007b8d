"""Widget and query-parameter keys, in one place."""

FRAME = "frame"  # query parameter and selectbox key on the frame page
DATE_RANGE = "date_range"
OUTLETS = "outlets"
OVERVIEW_TABLE = "overview_table"

GROUPS = "outlet_groups"
OUTLET = "outlet"  # query parameter and selectbox key on the outlets page
EVIDENCE_ALL = "evidence_all"
REPORT_WEEK = "report_week"
REPORT_BUILD = "report_build"
REPORT_ZIP = "report_zip"
REPORT_DOWNLOAD = "report_download"
