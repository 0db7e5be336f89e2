# Turns common-passwords.txt (one per line, sorted, '#' comments) into the
# C array policy.c searches: awk -v out=FILE.c -f common_passwords.awk TXT
BEGIN {
	print "/* Generated from common-passwords.txt: do not edit. */" > out
	print "#include <stddef.h>" > out
	print "extern const char *const\tauth_common_passwords[];" > out
	print "extern const size_t\tauth_common_passwords_n;" > out
	print "const char *const\tauth_common_passwords[] = {" > out
	n = 0
}
/^#/ || /^$/ { next }
{
	gsub(/\\/, "\\\\"); gsub(/"/, "\\\"")
	print "\t\"" $0 "\"," > out
	n++
}
END {
	print "};" > out
	print "const size_t\tauth_common_passwords_n = " n ";" > out
}
