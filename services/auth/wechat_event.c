/*
 * The XML events WeChat's server posts to our callback, parsed with
 * libxml2 with network access and entity expansion off (no XXE).
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "wechat.h"

static int
child_text(xmlNode *root, const char *name, char *out, size_t len)
{
	xmlNode	*n;
	xmlChar	*text;
	int	 rc = -1;

	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)n->name, name) != 0)
			continue;
		text = xmlNodeGetContent(n);
		if (text != NULL && strlen((const char *)text) < len) {
			snprintf(out, len, "%s", (const char *)text);
			rc = 0;
		}
		xmlFree(text);
		return (rc);
	}
	return (-1);
}

int
wx_parse_scan_event(const char *xml, size_t len, char *openid,
    size_t openid_len, char *scene, size_t scene_len)
{
	xmlDoc	*doc;
	xmlNode	*root;
	char	 type[32], event[32], key[160];
	int	 rc = -1;

	doc = xmlReadMemory(xml, (int)len, "event.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return (-1);
	root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *)root->name, "xml") != 0 ||
	    child_text(root, "MsgType", type, sizeof(type)) == -1 ||
	    strcmp(type, "event") != 0 ||
	    child_text(root, "Event", event, sizeof(event)) == -1 ||
	    child_text(root, "EventKey", key, sizeof(key)) == -1 ||
	    child_text(root, "FromUserName", openid, openid_len) == -1)
		goto done;
	if (strcmp(event, "SCAN") == 0) {
		snprintf(scene, scene_len, "%s", key);
		rc = 0;
	} else if (strcmp(event, "subscribe") == 0 &&
	    strncmp(key, "qrscene_", 8) == 0) {
		snprintf(scene, scene_len, "%s", key + 8);
		rc = 0;
	}
	if (rc == 0 && (strlen(openid) < 6 || scene[0] == '\0'))
		rc = -1;
done:
	xmlFreeDoc(doc);
	return (rc);
}
