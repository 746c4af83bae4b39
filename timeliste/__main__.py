import sys

from timeliste.cli import main

sys.exit(main())
