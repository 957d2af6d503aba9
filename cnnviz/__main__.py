import sys

from cnnviz.cli.main import main

sys.exit(main())
