from gx.cli import main

main()
