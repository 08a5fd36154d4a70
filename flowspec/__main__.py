from flowspec.cli import main

main()
