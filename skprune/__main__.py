import sys

from skprune.cli import main

sys.exit(main())
