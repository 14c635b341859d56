from gx.cli.main import main

main()
