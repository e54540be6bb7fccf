from shared.data.cli import main

main()
