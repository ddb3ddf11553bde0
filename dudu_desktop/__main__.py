from dudu_desktop.cli import main

raise SystemExit(main())
