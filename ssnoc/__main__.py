from ssnoc.cli import main

main()
