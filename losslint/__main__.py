from losslint.entry import main

main()
