/*
 * Uploads are typed by their content, never by the name or the client's
 * Content-Type: the signatures of the three formats we accept (PDF, JPEG,
 * PNG) are fixed byte strings at offset 0.
 */
#include <string.h>

#include "attendance.h"

const char *
att_sniff_type(const void *data, size_t len)
{
	static const unsigned char pdf[] = { '%', 'P', 'D', 'F', '-' };
	static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff };
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n' };

	if (len >= sizeof(pdf) && memcmp(data, pdf, sizeof(pdf)) == 0)
		return ("application/pdf");
	if (len >= sizeof(jpeg) + 1 && memcmp(data, jpeg, sizeof(jpeg)) == 0)
		return ("image/jpeg");
	if (len >= sizeof(png) + 1 && memcmp(data, png, sizeof(png)) == 0)
		return ("image/png");
	return (NULL);
}
