import sys

from leaflets.cli import main

sys.exit(main())
