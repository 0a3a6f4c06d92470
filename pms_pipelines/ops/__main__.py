"""`python -m pms_pipelines.ops --help`."""

import sys

from pms_pipelines.ops.cli import main

sys.exit(main())
