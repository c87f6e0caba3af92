import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// The first run's question: the bundled model came in 4 bits, and Nibble's
// comparison needs a second precision of it. The 8-bit original shows what
// 4 bits lose; a copy made from the 4-bit file shows only what 8 bits cost.
// Asked until answered; while the original downloads, or when it cannot,
// the banner says so. The model's library card keeps both offers afterwards.
Rectangle {
    id: banner
    objectName: "firstRunOffer"
    readonly property var variantId: EightBitOriginal.firstRunVariantId
    readonly property var offer: EightBitOriginal.revision >= 0 && variantId > 0
                                 ? EightBitOriginal.offerFor(variantId) : ({})
    readonly property string offerState: offer.state || ""
    visible: variantId > 0
    implicitHeight: visible ? bannerRow.implicitHeight + 20 : 0
    color: Theme.selection

    RowLayout {
        id: bannerRow
        anchors.fill: parent
        anchors.leftMargin: 20
        anchors.rightMargin: 12
        spacing: 12
        Label {
            objectName: "firstRunOfferText"
            Layout.fillWidth: true
            text: {
                const intro = qsTr("The model that came with Nibble is a 4-bit file. To see on your own chats what "
                                   + "4 bits cost in quality and buy in speed, Nibble needs the same model in 8 bits.")
                if (banner.offerState === "offline")
                    return intro + " " + qsTr("This computer is offline, so the 8-bit original cannot be downloaded "
                                              + "from Hugging Face now; the model's card under Models offers it once "
                                              + "you are online. A copy made from the 4-bit file shows what 8 bits cost "
                                              + "in size and speed, not what 4 bits lose.")
                if (banner.offerState === "failed" || banner.offerState === "downloading")
                    return intro + " " + banner.offer.text
                if (banner.offerState.length === 0)
                    return intro + " " + qsTr("Nibble knows no 8-bit original of this file to download; "
                                              + "a copy made from it shows what 8 bits cost in size and speed, not what 4 bits lose.")
                return intro + " " + qsTr("The 8-bit original from Hugging Face shows what 4 bits lose; "
                                          + "a copy made from the 4-bit file only shows what 8 bits cost in size and speed.")
            }
            color: Theme.text
            wrapMode: Text.Wrap
        }
        Button {
            objectName: "firstRunDownloadOriginal"
            visible: banner.offerState === "offer" || banner.offerState === "failed"
            text: banner.offerState === "failed" ? qsTr("Try again") : qsTr("Download the 8-bit original")
            highlighted: true
            onClicked: EightBitOriginal.download(banner.variantId)
        }
        Button {
            objectName: "firstRunMakeCopy"
            enabled: !Builder.running
            text: qsTr("Make an 8-bit copy")
            ToolTip.visible: hovered
            ToolTip.text: qsTr("Made from the 4-bit file: it cannot answer better than that file")
            onClicked: {
                Builder.create(banner.variantId, "Q8_0")
                EightBitOriginal.closeFirstRunQuestion()
            }
        }
        Button {
            objectName: "firstRunNotNow"
            text: banner.offerState === "downloading" ? qsTr("Hide") : qsTr("Not now")
            flat: true
            onClicked: EightBitOriginal.closeFirstRunQuestion()
        }
    }
    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }
}
